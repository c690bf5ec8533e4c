"""Knowing before a post fails: account checks, token expiry, worker heartbeats, the stall alarm.

``checks``     each connected account's cheapest authenticated read (``Publisher.check``), for
               ``outpost accounts check``, the chat command ``accounts`` and the daily cron
``heartbeat``  each worker's "I am alive" key in Redis, and who was seen lately
``alarm``      due work nobody is publishing: ``/healthz``'s figures and the chat alarm the web
               process raises once per incident (it must work exactly when workers are dead)
"""
