-- wrk script: one request per connection.
-- Every request carries "Connection: close"; the server answers and closes,
-- and wrk opens a new connection for the next request. This measures
-- accept + parse + answer + close, i.e. the cost of connection setup.
wrk.headers["Connection"] = "close"
