alter table orders drop column guest_key;
