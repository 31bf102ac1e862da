// Package browsertest drives the admin page in a real headless Chromium
// against the local dev stack, as an admin would, and saves a screenshot
// of every page it visits under .artifacts/screenshots.
package browsertest
