# Each student's own server reads this file: the hub puts this folder on its JUPYTER_CONFIG_PATH
# (deploy/hub/jupyterhub_config.py). Every value is written in cnnviz/serve/settings.py, the one
# place the servers' settings live (make app and Binder read the same): Voila's page settings
# with the theme hook, the executor's iopub timeout, kernel culling, ipc kernels.
from cnnviz.serve.settings import configure

configure(c)  # noqa: F821 - ``c`` is the Config that the server's config loader provides
