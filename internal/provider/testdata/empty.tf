# No resources: applying this destroys everything the test created, so that
# a test of for_each resources ends with an empty state.
