"""A small async RTSP client: the handshake an NVR does first, to test a camera.

:func:`~.client.probe` opens a TCP (``rtsp``) or TLS (``rtsps``) connection with asyncio
streams and sends ``OPTIONS`` then ``DESCRIBE`` (RFC 2326 / RFC 7826), answering
a ``401`` challenge with Digest (RFC 2617 / RFC 7616: ``qop=auth``, MD5,
SHA-256 and their ``-sess`` variants) or Basic (RFC 7617), whichever the camera
asks for (Digest preferred, the strongest algorithm first). The whole exchange
is bounded by one timeout (:data:`.client.DEFAULT_TIMEOUT`, 5 s). The SDP answer is
parsed for the codecs (``a=rtpmap``, static payload types) and the resolution
(``a=framesize``, ``a=x-dimensions``, ``a=cliprect``, else the H.264 SPS in
``sprop-parameter-sets``).

Credentials never go into a URL: the request line and the Digest ``uri`` carry
the URL without userinfo, Basic credentials are sent only when the camera asks
for Basic, redirects are reported, not followed (a password is never carried
to another host), and no result message contains the password.

Where a camera may be: the outbound policy of webhooks
(:mod:`app.integrations.outbound.policy`) applies, without its private-network
switch. Cameras live on the home network, so private ranges (10/8, 172.16/12,
192.168/16, fc00::/7), CGNAT and loopback (a local RTSP relay such as
MediaMTX or go2rtc) are allowed; never allowed are link-local addresses and the
cloud metadata service (169.254.0.0/16, fe80::/10, fd00:ec2::254), "this
network" and the unspecified address (0.0.0.0/8, ``::``), multicast
(224.0.0.0/4, ff00::/8) and the reserved range holding the broadcast address
(240.0.0.0/4), also when written in another form (``2852039166``,
``0xa9fea9fe``, ``::ffff:169.254.169.254``). :func:`parse_rtsp_url` refuses
such a literal (so it is never saved), and :func:`probe` resolves the host
once, checks every address and connects to the address it checked: no second
lookup, no DNS-rebinding window.

Failure messages help the owner without mapping a network for anyone else:
every way of finding no RTSP camera on a port (connection refused or reset,
an HTTP or other non-RTSP server, a failed TLS handshake, a peer that hangs
up) gives one message, :data:`NOTHING_ANSWERING`, with the code
``unreachable``; only a peer that answered in RTSP gets specific messages
(authentication, stream path, redirects). No answer within the time limit is
``timeout`` (the elapsed time tells that anyway).

Modules: :mod:`.url` (parse_rtsp_url), :mod:`.auth` (parse_challenges,
digest_response), :mod:`.sdp` (parse_sdp), :mod:`.h264` (parse_h264_sps): pure,
no I/O; :mod:`.client` (probe): the connection.
"""
