#!/bin/sh
# /usr/bin/videoteller-seat: start the seat workstation installed in /opt/videoteller-seat.
exec /opt/videoteller-seat/videoteller-seat "$@"
