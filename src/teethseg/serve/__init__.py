"""``teethseg serve``: a web page and a REST API over the bundled (or any) model.

``create_app`` builds the FastAPI app; ``serve_command`` checks the options and runs it with uvicorn.
"""

from teethseg.serve.app import ServeSettings, create_app
from teethseg.serve.run import serve_command

__all__ = ["ServeSettings", "create_app", "serve_command"]
