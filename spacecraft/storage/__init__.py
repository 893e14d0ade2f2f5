"""How the catalogue is stored and read back in bulk: the SQL the layers above share."""
