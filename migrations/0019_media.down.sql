drop table if exists media;
