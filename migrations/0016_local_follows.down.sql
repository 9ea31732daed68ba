alter table ap_notifications drop column from_profile_id;
drop table ap_local_follows;
