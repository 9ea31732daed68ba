-- The blog's media library (issue 16, docs/admin.md "Media"): one row per
-- image uploaded through the admin. The files live in MEDIA_DIR under their
-- content hash (prims/media): <hash>.<ext> is the original as uploaded,
-- <hash>-<width>.<ext> its variants for listings. A row's hash is unique
-- among live rows, so the same bytes uploaded twice are one image; a soft
-- delete keeps the files (posts may still point at them) and frees the
-- hash, so an upload of the same bytes afterwards is a new row.
create table media (
    id          bigint generated always as identity primary key,
    hash        text not null check (hash ~ '^[0-9a-f]{64}$'),   -- sha256 of the original's bytes
    mime        text not null check (mime in ('image/jpeg', 'image/png', 'image/gif', 'image/webp')),
    file_name   text not null,                 -- the original's name in MEDIA_DIR: <hash>.<ext>
    width       integer not null check (width > 0),
    height      integer not null check (height > 0),
    bytes       bigint not null check (bytes > 0),
    -- The variants made for listings, narrowest first:
    -- [{"width": 480, "height": 320, "name": "<hash>-480.jpg", "bytes": 1234}, …]
    variants    jsonb not null default '[]'::jsonb check (jsonb_typeof(variants) = 'array'),
    alt_text    text not null default '' check (length(alt_text) <= 500),
    original_filename text not null default '',   -- what the browser called it (shown, never trusted)
    uploaded_by integer,                       -- -> users.id (plain: identity is another domain)
    created_at  timestamptz not null default now(),
    updated_at  timestamptz not null default now(),
    deleted_at  timestamptz
);
create unique index media_hash_live_idx on media (hash) where deleted_at is null;
-- The library's grid: newest first.
create index media_created_idx on media (created_at desc, id desc) where deleted_at is null;
