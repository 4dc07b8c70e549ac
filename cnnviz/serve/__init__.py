"""Serving the course: the one settings source every server reads, and the class's landing page.

``cnnviz.serve.settings`` holds the Voila and Jupyter server settings that ``make app``,
``make network``, ``make class``, Binder and the hub all use (voila.py at the repository root
and tools/voila_server_config.py read them from there); ``cnnviz.serve.landing`` builds the
page a class opens first.
"""
