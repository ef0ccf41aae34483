"""Protocol clients with no domain of their own: RTSP (:mod:`.rtsp`) and
outbound HTTP (:mod:`.outbound`). They import only :mod:`app.core`."""
