"""Knowing before a post fails: account checks, token expiry, worker heartbeats, the stall alarm.

``checks``     each connected account's cheapest authenticated read (``Publisher.check``), for
               ``outpost accounts check``, the chat command ``accounts`` and the crons
``watch``      the worker's crons: every account daily, accounts with posts due in 24 h hourly
``expiry``     renewing ahead of time where the network allows, 7- and 1-day warnings where not
``heartbeat``  each worker's "I am alive" key in Redis, and who was seen lately
``alarm``      due work nobody is publishing: ``/healthz``'s figures and the chat alarm the web
               process raises once per incident (it must work exactly when workers are dead)
``notices``    saying it in chat, in the thread a post was scheduled from
"""
