# Voila's config file. make app, make network and make class pass
# --Voila.config_file_paths=['<repository>/deploy']; on Binder tools/voila_server_config.py copies
# this file into ~/.jupyter, where Voila's server extension looks for it. It lives in deploy/, not
# at the repository root, where a voila.py would shadow the voila package on sys.path.
# Every value is written in cnnviz/serve/settings.py, the one place the servers' settings live.
from cnnviz.serve.settings import configure

configure(c)  # noqa: F821 - ``c`` is the Config that Voila's config loader provides
