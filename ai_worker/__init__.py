"""The reference AI Server (docs/contract.md §1).

It pops ``stt``, ``llm`` and ``image`` requests from the AI bus and answers
each with a result. It runs inside the app (``AI_WORKER=embedded``) or as its
own process (``voice-realtime worker``), with engines chosen per kind by
:class:`config.worker.WorkerSettings`.
"""
