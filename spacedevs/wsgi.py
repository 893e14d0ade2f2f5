"""The WSGI application gunicorn serves: Django's handler behind the cache's front door.

``FrontDoorHandler`` (``spacecraft/serving/front.py``) answers a repeated cached API request
with the bytes the whole stack sent for it, after one stamp check; everything else is Django's
own ``WSGIHandler``, as ``get_wsgi_application()`` would build it.
"""

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "spacedevs.settings")
django.setup(set_prefix=False)

from spacecraft.serving.front import FrontDoorHandler  # noqa: E402  (needs settings)

application = FrontDoorHandler()
