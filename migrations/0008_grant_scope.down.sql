alter table oauth_grants drop column scope;
