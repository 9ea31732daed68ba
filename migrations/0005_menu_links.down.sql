drop index menu_nodes_link_key;
alter table menu_nodes drop column link_type, drop column link_id;
