"""Publishing: the arq tasks and worker (with its fast paths over stock arq), the
queue of deferred jobs, and the publish job that claims, sends and records each destination."""
