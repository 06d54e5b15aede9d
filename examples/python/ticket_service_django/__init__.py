"""A ticket service in Django on gatehouse_verifier (the seeds' TTS): assigned tickets need the
``Technician`` role on https://tts.example; the token may come from the ``access_token`` cookie the
ticketing front end sets. Run:

    ISSUER=http://127.0.0.1:3000 PYTHONPATH=packages/verifier-python/src:examples/python \\
        /usr/bin/python3 -m django runserver 5002 --settings=ticket_service_django.settings
"""
