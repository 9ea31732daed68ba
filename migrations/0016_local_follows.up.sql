-- Follows between two members of this cooperative (social pages, issue 14).
-- ap_following holds follows of remote actors (delivered as Follow
-- activities); a local follow needs no delivery and no remote-actor row, so
-- it is one row here, accepted at once. The timeline and the followers /
-- following pages read both tables.
create table ap_local_follows (
    follower_profile_id integer not null references ap_actor_profiles (id) on delete cascade,
    followed_profile_id integer not null references ap_actor_profiles (id) on delete cascade,
    created_at          timestamptz not null default now(),
    primary key (follower_profile_id, followed_profile_id),
    check (follower_profile_id <> followed_profile_id)
);
-- Followers of a member (their page, their posts' audience).
create index ap_local_follows_followed_idx on ap_local_follows (followed_profile_id, created_at desc);

-- A notice from a member of this cooperative (a local follow, like or
-- boost): its sender's profile. from_actor_uri still names the sender's
-- actor; this column is what the notifications page shows them by, and what
-- an undo removes an unread notice by. Null for notices from remote actors.
alter table ap_notifications
    add column from_profile_id integer references ap_actor_profiles (id) on delete cascade;
create index ap_notifications_from_profile_idx on ap_notifications (from_profile_id)
    where from_profile_id is not null;
