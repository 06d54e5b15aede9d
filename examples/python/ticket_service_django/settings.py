import os

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "example-only-not-secret")
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]
ROOT_URLCONF = "ticket_service_django.urls"
INSTALLED_APPS: list = []
DATABASES: dict = {}
USE_TZ = True
MIDDLEWARE = [
    "django.middleware.common.CommonMiddleware",
    "gatehouse_verifier.django.GatehouseMiddleware",
]
GATEHOUSE = {
    "VERIFIER": "ticket_service_django.auth.verifier",
    # The ticketing front end keeps the token in this cookie (HttpOnly, SameSite=Strict).
    "COOKIE_NAME": "access_token",
}
