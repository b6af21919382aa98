"""Tandem in the browser: server-rendered pages (Jinja2) outside `/v1`.

Pages call the same service functions as the REST routes, with the same principal, so a
page shows exactly what the API would and answers 404 where the API does. Every asset is
served from this package or an installed one: the pages work on a network with no way out.
"""
