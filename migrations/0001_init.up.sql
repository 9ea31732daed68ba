-- 0001_init: the runtime's own infrastructure, nothing domain-specific.
-- sx_meta is a small key/value table the host keeps its own facts in
-- (for example which demo data was loaded). The platform's schema
-- (activities and the six services' tables) comes in later migrations.
create table sx_meta (
    key        text primary key,
    value      text not null,
    updated_at timestamptz default now()
);
