"""Alert rules: :mod:`.rules` stores them (create / read / update / delete),
:mod:`.engine` matches stored events against them and fires their actions.
A rule's webhook settings belong to :mod:`app.services.webhooks.config`."""
