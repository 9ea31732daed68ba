-- The processors' hourly purge of done internal activities: found by
-- origin and age without reading the whole table.
create index ap_activities_done_internal_idx on ap_activities (origin_app, processed_at)
    where visibility = 'internal' and process_state = 'done';
