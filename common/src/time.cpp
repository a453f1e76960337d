#include "nova/common/time.hpp"

#include <cctype>
#include <cstdio>
#include <ctime>

namespace nova::timeutil {
namespace {

struct Parts {
    std::tm tm{};
    long micros = 0;
};

Parts Split(WallTime t) {
    using namespace std::chrono;
    auto secs = floor<seconds>(t);
    Parts p;
    p.micros = static_cast<long>(duration_cast<microseconds>(t - secs).count());
    std::time_t tt = WallClock::to_time_t(secs);
    gmtime_r(&tt, &p.tm);
    return p;
}

std::string Print(WallTime t, char sep, bool micros, const char* suffix) {
    Parts p = Split(t);
    char buf[64];
    if (micros) {
        std::snprintf(buf, sizeof buf, "%04d-%02d-%02d%c%02d:%02d:%02d.%06ld%s", p.tm.tm_year + 1900,
                      p.tm.tm_mon + 1, p.tm.tm_mday, sep, p.tm.tm_hour, p.tm.tm_min, p.tm.tm_sec,
                      p.micros, suffix);
    } else {
        std::snprintf(buf, sizeof buf, "%04d-%02d-%02d%c%02d:%02d:%02d%s", p.tm.tm_year + 1900,
                      p.tm.tm_mon + 1, p.tm.tm_mday, sep, p.tm.tm_hour, p.tm.tm_min, p.tm.tm_sec,
                      suffix);
    }
    return buf;
}

bool ReadDigits(std::string_view s, std::size_t& pos, int count, int& value) {
    if (pos + count > s.size()) return false;
    value = 0;
    for (int i = 0; i < count; ++i) {
        char c = s[pos + i];
        if (!std::isdigit(static_cast<unsigned char>(c))) return false;
        value = value * 10 + (c - '0');
    }
    pos += count;
    return true;
}

bool Expect(std::string_view s, std::size_t& pos, char c) {
    if (pos >= s.size() || s[pos] != c) return false;
    ++pos;
    return true;
}

}  // namespace

std::string IsoZ(WallTime t) { return Print(t, 'T', false, "Z"); }
std::string IsoMicro(WallTime t) { return Print(t, 'T', true, ""); }
std::string SpaceMicro(WallTime t) { return Print(t, ' ', true, ""); }
std::string Sql(WallTime t) { return Print(t, ' ', false, ""); }

WallTime FloorSeconds(WallTime t) { return std::chrono::floor<std::chrono::seconds>(t); }

std::optional<WallTime> Parse(std::string_view s) {
    std::size_t pos = 0;
    int year, month, day, hour = 0, minute = 0, second = 0;
    if (!ReadDigits(s, pos, 4, year) || !Expect(s, pos, '-') || !ReadDigits(s, pos, 2, month) ||
        !Expect(s, pos, '-') || !ReadDigits(s, pos, 2, day)) {
        return std::nullopt;
    }
    long long micros = 0;
    int offset_seconds = 0;
    if (pos < s.size()) {
        if (s[pos] != 'T' && s[pos] != 't' && s[pos] != ' ') return std::nullopt;
        ++pos;
        if (!ReadDigits(s, pos, 2, hour) || !Expect(s, pos, ':') || !ReadDigits(s, pos, 2, minute)) {
            return std::nullopt;
        }
        if (pos < s.size() && s[pos] == ':') {
            ++pos;
            if (!ReadDigits(s, pos, 2, second)) return std::nullopt;
        }
        if (pos < s.size() && (s[pos] == '.' || s[pos] == ',')) {
            ++pos;
            int digits = 0;
            long long fraction = 0;
            while (pos < s.size() && std::isdigit(static_cast<unsigned char>(s[pos]))) {
                if (digits < 6) {
                    fraction = fraction * 10 + (s[pos] - '0');
                }
                ++digits;
                ++pos;
            }
            if (digits == 0) return std::nullopt;
            for (int d = digits; d < 6; ++d) fraction *= 10;
            micros = fraction;
        }
        if (pos < s.size()) {
            char c = s[pos];
            if (c == 'Z' || c == 'z') {
                ++pos;
            } else if (c == '+' || c == '-') {
                ++pos;
                int oh, om = 0;
                if (!ReadDigits(s, pos, 2, oh)) return std::nullopt;
                if (pos < s.size() && s[pos] == ':') ++pos;
                if (pos < s.size() && !ReadDigits(s, pos, 2, om)) return std::nullopt;
                offset_seconds = (oh * 3600 + om * 60) * (c == '-' ? -1 : 1);
            }
        }
    }
    if (pos != s.size()) return std::nullopt;
    if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) {
        return std::nullopt;
    }
    std::tm tm{};
    tm.tm_year = year - 1900;
    tm.tm_mon = month - 1;
    tm.tm_mday = day;
    tm.tm_hour = hour;
    tm.tm_min = minute;
    tm.tm_sec = second;
    std::time_t tt = timegm(&tm);
    // timegm normalises out-of-range days (Feb 31 -> Mar 3); refuse those.
    std::tm check{};
    gmtime_r(&tt, &check);
    if (check.tm_mday != day || check.tm_mon != month - 1) return std::nullopt;
    auto t = WallClock::from_time_t(tt) + std::chrono::microseconds(micros) -
             std::chrono::seconds(offset_seconds);
    return std::chrono::time_point_cast<WallTime::duration>(t);
}

}  // namespace nova::timeutil
