-- Authoring and admin (issue 16, docs/admin.md).
--
-- users.roles: the staff roles below admin. An editor writes the blog (posts,
-- pages, snippets, media); an organiser runs the events (calendars, slots,
-- ticket types, entries, the door). is_admin stays the role that may do
-- everything. The roles travel to every service in the SSO grant answers
-- (verify-grant, exchange-auth-code) and so into (current-user) :roles.
alter table users add column roles text[] not null default '{}'
    check (roles <@ array['editor', 'organiser']::text[]);

-- The audit log: one row per admin write, written by (audit-record …) in the
-- write's own transaction, so a row exists exactly when its change does.
-- No foreign keys: it records rows of every domain (and survives them).
-- object_id is text: kv keys and slugs are ids too.
create table audit_log (
    id          bigint generated always as identity primary key,
    service     text not null,                 -- the service that wrote
    user_id     integer,                       -- -> users.id (plain); null for a script
    user_email  text,                          -- copied: the log outlives renames
    action      text not null,                 -- e.g. post.update, post.publish
    object_type text not null,                 -- e.g. post, snippet, kv, menu_node
    object_id   text not null,
    before      jsonb,                         -- null for a create
    after       jsonb,                         -- null for a hard delete
    created_at  timestamptz not null default now(),
    check (action <> '' and object_type <> '' and object_id <> '')
);
-- An object's history (the per-object audit view), newest first.
create index audit_log_object_idx on audit_log (object_type, object_id, id desc);
-- A person's actions.
create index audit_log_user_idx on audit_log (user_id, id desc) where user_id is not null;

-- A post written in Markdown keeps its source here (the admin edits it);
-- html holds what goldmark made of it on save. Null for SX and imported
-- HTML bodies.
alter table posts add column markdown text;

-- Old slugs of posts and pages: a renamed post's old URL redirects (301) to
-- its current slug. A slug in use by a live post is never here (the admin
-- deletes the row when a post takes the slug back).
create table post_slug_redirects (
    slug       text primary key,
    post_id    integer not null references posts (id) on delete cascade,
    created_at timestamptz not null default now()
);
create index post_slug_redirects_post_idx on post_slug_redirects (post_id);
