//go:build !race

package photos

// raceDetector is true in a test binary built with -race, whose shadow
// memory makes resident-memory figures meaningless.
const raceDetector = false
