-- A menu node that the navigation made for a container attached to a page
-- (a market under the shop page) says so: link_type/link_id name the
-- container, so the node is found by what it links, not by a slug a person
-- might also have chosen. One such node per parent node and container.
alter table menu_nodes
    add column link_type text,
    add column link_id   integer,                   -- container (plain)
    add check ((link_type is null) = (link_id is null));
create unique index menu_nodes_link_key on menu_nodes (parent_id, link_type, link_id)
    where deleted_at is null and link_type is not null;
