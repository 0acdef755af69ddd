"""The bundled demo: two small static Chinese district-news sites and the server that serves them.

``newsarchive/demo/site/portal`` is a UTF-8 news portal built like the page the project started
from (breadcrumbs, related-article widgets, pagination); ``newsarchive/demo/site/district`` is an
older table-layout district government news centre served as GBK. ``site/expected.json`` lists, for
each site, the pages a crawl must archive and the ones it must not, with the seed article's
expected metadata. :mod:`newsarchive.demo.server` serves them on 127.0.0.1 for tests and demos.

The server module is not imported here, so that ``python -m newsarchive.demo.server`` runs cleanly.
"""

from __future__ import annotations
