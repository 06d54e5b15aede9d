import os

from gatehouse_verifier import create_verifier

TTS = "https://tts.example"
# One verifier per process; nothing is fetched until the first token arrives.
verifier = create_verifier(issuer=os.environ["ISSUER"], audience=TTS)
