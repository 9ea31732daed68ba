drop table post_slug_redirects;
alter table posts drop column markdown;
drop table audit_log;
alter table users drop column roles;
