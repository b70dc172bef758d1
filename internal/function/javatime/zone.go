package javatime

import (
	"fmt"
	"strings"
	"time"
)

// zoneAbbrevOffsets are the common zone abbreviations and the offsets
// they denote.
var zoneAbbrevOffsets = map[string]int{
	"UTC": 0, "GMT": 0, "UT": 0, "Z": 0,
	"PST": -8 * 3600, "PDT": -7 * 3600, "MST": -7 * 3600, "MDT": -6 * 3600,
	"CST": -6 * 3600, "CDT": -5 * 3600, "EST": -5 * 3600, "EDT": -4 * 3600,
	"AKST": -9 * 3600, "AKDT": -8 * 3600, "HST": -10 * 3600,
	"BST": 3600, "CET": 3600, "CEST": 2 * 3600, "EET": 2 * 3600, "EEST": 3 * 3600,
	"WET": 0, "WEST": 3600, "IST": 19800, "JST": 9 * 3600, "KST": 9 * 3600,
	"AEST": 10 * 3600, "AEDT": 11 * 3600,
}

// zoneAbbrevRegions are the regions Java's zone text parser resolves the
// common abbreviations to, so that the date parsed picks standard or
// daylight time.
var zoneAbbrevRegions = map[string]string{
	"PST": "America/Los_Angeles", "PDT": "America/Los_Angeles",
	"MST": "America/Denver", "MDT": "America/Denver",
	"CST": "America/Chicago", "CDT": "America/Chicago",
	"EST": "America/New_York", "EDT": "America/New_York",
	"AKST": "America/Anchorage", "AKDT": "America/Anchorage",
	"HST": "Pacific/Honolulu", "BST": "Europe/London",
	"CET": "Europe/Paris", "CEST": "Europe/Paris",
	"EET": "Europe/Athens", "EEST": "Europe/Athens",
	"WET": "Europe/Lisbon", "WEST": "Europe/Lisbon",
	"IST": "Asia/Kolkata", "JST": "Asia/Tokyo", "KST": "Asia/Seoul",
	"AEST": "Australia/Sydney", "AEDT": "Australia/Sydney",
}

// zoneAliases are the short ids Java's ZoneId.SHORT_IDS maps, which
// ksqlDB accepts wherever a time zone is named.
var zoneAliases = map[string]string{
	"EST": "-05:00", "MST": "-07:00", "HST": "-10:00",
	"ACT": "Australia/Darwin", "AET": "Australia/Sydney", "AGT": "America/Argentina/Buenos_Aires",
	"ART": "Africa/Cairo", "AST": "America/Anchorage", "BET": "America/Sao_Paulo",
	"BST": "Asia/Dhaka", "CAT": "Africa/Harare", "CNT": "America/St_Johns",
	"CST": "America/Chicago", "CTT": "Asia/Shanghai", "EAT": "Africa/Addis_Ababa",
	"ECT": "Europe/Paris", "IET": "America/Indiana/Indianapolis", "IST": "Asia/Kolkata",
	"JST": "Asia/Tokyo", "MIT": "Pacific/Apia", "NET": "Asia/Yerevan", "NST": "Pacific/Auckland",
	"PLT": "Asia/Karachi", "PNT": "America/Phoenix", "PRT": "America/Puerto_Rico",
	"PST": "America/Los_Angeles", "SST": "Pacific/Guadalcanal", "VST": "Asia/Ho_Chi_Minh",
}

// LoadZone resolves a Java ZoneId string: a region id
// ("America/Los_Angeles"), "Z"/"UTC"/"GMT", an offset ("+02:00", "-0800"),
// a prefixed offset ("UTC+2", "GMT-08:00") or one of Java's short ids.
func LoadZone(id string) (*time.Location, error) {
	// Zero-offset ids keep their own names, which the 'z' letter prints.
	switch id {
	case "UTC":
		return time.UTC, nil
	case "GMT", "UT", "Z":
		return time.FixedZone(id, 0), nil
	}
	if alias, ok := zoneAliases[id]; ok {
		id = alias
	}
	if id != "" && (id[0] == '+' || id[0] == '-') {
		off, n, err := parseSignedHM(id, 0, true)
		if err == nil && n == len(id) {
			return fixedZone(off), nil
		}
		return nil, fmt.Errorf("Invalid ID for ZoneOffset, invalid format: %s", id)
	}
	for _, prefix := range []string{"UTC", "GMT", "UT"} {
		if rest, ok := strings.CutPrefix(id, prefix); ok && rest != "" && (rest[0] == '+' || rest[0] == '-') {
			off, n, err := parseSignedHM(rest, 0, true)
			if err == nil && n == len(rest) {
				return time.FixedZone(id, off), nil
			}
		}
	}
	if strings.Contains(id, "..") || id == "" || id == "Local" {
		return nil, fmt.Errorf("Unknown time-zone ID: %s", id)
	}
	loc, err := time.LoadLocation(id)
	if err != nil {
		return nil, fmt.Errorf("Unknown time-zone ID: %s", id)
	}
	return loc, nil
}
