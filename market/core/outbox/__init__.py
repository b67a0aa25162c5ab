"""The transactional outbox: events written with the change they describe, relayed to the job queue."""
