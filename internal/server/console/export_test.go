package console

// The real-server test lives in package console_test, so that it may import
// package server even once server imports this package; these names give it
// the browser driver.
type Browser = browser

var StartBrowser = startBrowser

var ScreenshotPath = screenshotPath
