"""The read-only GraphQL API beside REST (POST /graphql): datasources, jobs with their steps and first errors, and
who the caller is, in one query; permissions from the same declarations as REST."""
