-- upsert-remote-actor links the notifications already recorded under a
-- remote actor's URI to its cached row: a lookup by sender.
create index ap_notifications_from_actor_idx on ap_notifications (from_actor_uri);
