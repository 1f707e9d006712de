package gobench

import "strconv"

// name formats a sub-benchmark name as key=value, the way JMH shows parameters, so render.py can
// match Go rows to JMH rows by their parameters.
func name(key string, v int) string { return key + "=" + strconv.Itoa(v) }
