alter table ap_deliveries
    drop constraint ap_deliveries_lease_check,
    drop column lease_until,
    drop column claimed_by;
