"""The latent explorer: a FastAPI app and one static page over a single trained run.

`vaekit serve RUN` builds it with `create_app(Explorer(RUN))` (vaekit.web.app,
vaekit.web.service). Nothing is imported here, so `import vaekit.web` needs no FastAPI.
"""
