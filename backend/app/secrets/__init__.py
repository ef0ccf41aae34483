"""Every stored secret: where it lives (:mod:`.columns`), how to read and rewrite
it (:mod:`.inventory`, :mod:`.census`), the data migrations (:mod:`.migration`)
and key rotation (:mod:`.rotation`, helper processes in :mod:`.pool`).

Used by the Alembic revisions and the CLI; no Alembic import, no CLI code.
"""
