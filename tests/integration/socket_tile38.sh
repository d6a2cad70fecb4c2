#!/bin/bash
# socket.sh against two tile38-server (TILE38_SERVER, or tile38-server on
# PATH); skipped, saying so, when there is none.
tile38=${TILE38_SERVER:-$(command -v tile38-server 2>/dev/null)}
if [ -z "$tile38" ] || [ ! -x "$tile38" ]; then
	echo "SKIP: tile38-server not found (PATH or TILE38_SERVER): the Tile38 case did not run"
	exit 77
fi
CL_KIND=tile38 TILE38_SERVER=$tile38 exec bash "$TESTS_SRCDIR/tests/integration/socket.sh"
