"""Webhooks, one module per job:

* :mod:`.config`: a rule's stored webhook (built from requests, masked for
  responses, opened for one send: the only place its secrets are decrypted);
* :mod:`.signing`: Standard Webhooks signatures;
* :mod:`.queue`: the delivery queue (transactional outbox, at least once);
* :mod:`.delivery`: one HTTP attempt;
* :mod:`.logs`: the delivery log;
* :mod:`.worker`: the background worker that leases, sends and records.
"""
