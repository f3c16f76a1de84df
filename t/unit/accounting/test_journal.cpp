// The usage-record journal: its framing, and the file a worker spills records to: order,
// its bound, at-least-once delivery across a worker's exit, a dead worker's file adopted,
// a torn tail skipped, a live worker's file left alone.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdarg>
#include <cstddef>
#include <cstdint>
#include <csetjmp>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "aigw/accounting/journal.hpp"

// cmocka.h has no extern "C" of its own and defines fail()/skip(): include it last.
extern "C" {
#include <cmocka.h>
}

namespace jf = aigw::journal_format;
using aigw::usage_journal;

namespace {

std::string temp_dir() {
    char tmpl[] = "/tmp/aigw-journal-XXXXXX";
    char* d = mkdtemp(tmpl);
    assert_non_null(d);
    return d;
}

void remove_dir(const std::string& dir) {
    std::string cmd = "rm -rf '" + dir + "'";
    assert_int_equal(std::system(cmd.c_str()), 0);
}

std::string file_bytes(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

bool exists(const std::string& path) { return access(path.c_str(), F_OK) == 0; }

std::string payload(int i) { return "XADD aigw:usage record " + std::to_string(i); }

// Pumps until the thread has nothing in flight, collecting what pump hands out.
void settle(usage_journal& j, std::size_t room, std::vector<usage_journal::record>& out,
            bool adopt = false) {
    for (int i = 0; i < 2000; i++) {
        std::size_t before = out.size();
        j.pump(room > out.size() ? room - out.size() : 0, out, adopt && i == 0);
        if (!j.busy() && out.size() == before) {
            return;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    fail_msg("the journal's thread did not settle");
}

void frames_round_trip(void**) {
    std::string buf;
    jf::append_frame(buf, "one");
    jf::append_frame(buf, "");
    jf::append_frame(buf, std::string(1000, 'x'));
    std::vector<jf::frame> frames;
    jf::scan_result r = jf::scan(buf, frames);
    assert_int_equal(frames.size(), 3);
    assert_int_equal(r.consumed, buf.size());
    assert_false(r.torn);
    assert_int_equal(r.need, 0);
    assert_true(frames[0].payload == "one");
    assert_true(frames[1].payload.empty());
    assert_int_equal(frames[2].payload.size(), 1000);
    assert_int_equal(frames[1].offset, 11);
    // The CRC is the standard CRC-32 (zlib's): "123456789" -> cbf43926.
    assert_int_equal(jf::crc32("123456789"), 0xcbf43926u);
}

void frames_incomplete_and_torn(void**) {
    std::string buf;
    jf::append_frame(buf, "first");
    jf::append_frame(buf, "second");
    std::vector<jf::frame> frames;
    // Cut inside the second frame: the first is whole, the second needs its whole size.
    jf::scan_result r = jf::scan(std::string_view(buf).substr(0, buf.size() - 2), frames);
    assert_int_equal(frames.size(), 1);
    assert_int_equal(r.consumed, 13);
    assert_int_equal(r.need, 14);
    assert_false(r.torn);
    // Cut inside the second frame's head.
    frames.clear();
    r = jf::scan(std::string_view(buf).substr(0, 16), frames);
    assert_int_equal(frames.size(), 1);
    assert_int_equal(r.need, jf::frame_overhead);
    // A flipped payload byte: the CRC tells.
    std::string bad = buf;
    bad[bad.size() - 1] ^= 1;
    frames.clear();
    r = jf::scan(bad, frames);
    assert_int_equal(frames.size(), 1);
    assert_true(r.torn);
    // A length no record can have (garbage where a frame should start).
    std::string huge = buf + std::string(8, '\xff');
    frames.clear();
    r = jf::scan(huge, frames);
    assert_int_equal(frames.size(), 2);
    assert_true(r.torn);
}

void header_round_trip(void**) {
    std::uint64_t c = 0;
    std::string h = jf::header(123456789012345ull);
    assert_int_equal(h.size(), jf::header_size);
    assert_true(jf::read_header(h, c));
    assert_true(c == 123456789012345ull);
    assert_false(jf::read_header(std::string(32, 'A'), c));
    assert_false(jf::read_header(h.substr(0, 31), c));
}

// Records put while the queue is full come back in order, the file empties when all are
// delivered, and new records go behind journaled ones while any are left.
void spill_and_replay_in_order(void**) {
    std::string dir = temp_dir();
    usage_journal j;
    assert_string_equal(j.open(dir, 1 << 20, 4242).c_str(), "");
    assert_string_equal(j.path().c_str(), (dir + "/usage.4242.journal").c_str());
    assert_false(j.holds());
    for (int i = 0; i < 500; i++) {
        assert_true(j.put(payload(i)));
    }
    assert_true(j.holds());
    std::vector<usage_journal::record> none;
    settle(j, 0, none);
    assert_int_equal(none.size(), 0);
    // Synced: the file holds the header and 500 frames.
    std::string bytes = file_bytes(j.path());
    std::vector<jf::frame> frames;
    jf::scan_result r = jf::scan(std::string_view(bytes).substr(jf::header_size), frames);
    assert_int_equal(frames.size(), 500);
    assert_false(r.torn);
    assert_true(j.holds());

    // Handed out a few at a time, in order.
    std::vector<usage_journal::record> out;
    settle(j, 100, out);
    assert_int_equal(out.size(), 100);
    for (int i = 0; i < 100; i++) {
        assert_true(out[static_cast<std::size_t>(i)].payload == payload(i));
        assert_int_equal(out[static_cast<std::size_t>(i)].where.segment, 1);
    }
    assert_true(j.holds());
    settle(j, 500, out);
    assert_int_equal(out.size(), 500);
    for (int i = 0; i < 500; i++) {
        assert_true(out[static_cast<std::size_t>(i)].payload == payload(i));
    }
    assert_false(j.holds());  // all handed out: new records may go to memory again
    assert_int_equal(j.stats().replayed, 500);
    assert_int_equal(j.stats().spilled, 500);

    // Not delivered yet: the file keeps them.
    settle(j, 0, none);
    assert_true(file_bytes(j.path()).size() > jf::header_size);
    // Delivered out of order (a retried record), the committed offset is the oldest left.
    j.done(out[1].where);
    settle(j, 0, none);
    std::uint64_t committed = 0;
    assert_true(jf::read_header(file_bytes(j.path()), committed));
    assert_int_equal(committed, jf::header_size);
    j.done(out[0].where);
    settle(j, 0, none);
    assert_true(jf::read_header(file_bytes(j.path()), committed));
    assert_int_equal(committed, out[2].where.start);
    for (std::size_t i = 2; i < out.size(); i++) {
        j.done(out[i].where);
    }
    settle(j, 0, none);
    assert_int_equal(file_bytes(j.path()).size(), jf::header_size);
    assert_true(jf::read_header(file_bytes(j.path()), committed));
    assert_int_equal(committed, jf::header_size);

    // The file starts over: a second outage's records.
    assert_true(j.put(payload(1000)));
    std::vector<usage_journal::record> again;
    settle(j, 10, again);
    assert_int_equal(again.size(), 1);
    assert_true(again[0].payload == payload(1000));
    assert_int_equal(again[0].where.start, jf::header_size);
    j.done(again[0].where);
    assert_string_equal(j.close({}).c_str(), "");
    assert_false(exists(dir + "/usage.4242.journal"));  // nothing left: removed
    remove_dir(dir);
}

void bounded_by_size(void**) {
    std::string dir = temp_dir();
    usage_journal j;
    std::string rec(100, 'r');
    // Room for the header and 10 frames of 108 bytes.
    assert_string_equal(j.open(dir, jf::header_size + 10 * 108, 1).c_str(), "");
    int taken = 0;
    for (int i = 0; i < 25; i++) {
        taken += j.put(rec) ? 1 : 0;
    }
    assert_int_equal(taken, 10);
    assert_int_equal(j.stats().lost_full, 15);
    std::vector<usage_journal::record> out;
    settle(j, 100, out);
    assert_int_equal(out.size(), 10);
    for (auto& r : out) j.done(r.where);
    settle(j, 0, out);
    // Delivered, the room is back.
    assert_true(j.put(rec));
    assert_string_equal(j.close({}).c_str(), "");
    remove_dir(dir);
}

// A worker exits with records undelivered (handed out, not done), records never written,
// and records only in its memory: all of them are in its file, and the next worker that
// looks for dead workers' files sends them, in order, then removes the file.
void exit_then_adopted(void**) {
    std::string dir = temp_dir();
    std::vector<usage_journal::record> out;
    {
        usage_journal old;
        assert_string_equal(old.open(dir, 1 << 20, 100).c_str(), "");
        for (int i = 0; i < 10; i++) assert_true(old.put(payload(i)));
        settle(old, 4, out);
        assert_int_equal(out.size(), 4);
        old.done(out[0].where);
        old.done(out[1].where);  // 2 and 3 handed out, not delivered
        for (int i = 10; i < 13; i++) assert_true(old.put(payload(i)));  // not yet written
        assert_string_equal(old.close({"memory-a", "memory-b"}).c_str(), "");
    }
    assert_true(exists(dir + "/usage.100.journal"));

    usage_journal next;
    assert_string_equal(next.open(dir, 1 << 20, 200).c_str(), "");
    std::vector<usage_journal::record> got;
    settle(next, 100, got, true);
    assert_int_equal(next.stats().adopted, 1);
    std::vector<std::string> want;
    for (int i = 2; i < 13; i++) want.push_back(payload(i));
    want.push_back("memory-a");
    want.push_back("memory-b");
    assert_int_equal(got.size(), want.size());
    for (std::size_t i = 0; i < want.size(); i++) {
        assert_true(got[i].payload == want[i]);
        assert_true(got[i].where.segment > 1);
    }
    auto messages = next.take_messages();
    assert_int_equal(messages.size(), 1);
    assert_non_null(strstr(messages[0].text.c_str(), "adopted the journal"));
    assert_false(messages[0].error);
    for (auto& r : got) next.done(r.where);
    std::vector<usage_journal::record> none;
    settle(next, 10, none);
    assert_false(exists(dir + "/usage.100.journal"));
    assert_string_equal(next.close({}).c_str(), "");
    remove_dir(dir);
}

// A live worker's file is locked: never adopted.
void live_file_left_alone(void**) {
    std::string dir = temp_dir();
    usage_journal a;
    usage_journal b;
    assert_string_equal(a.open(dir, 1 << 20, 1).c_str(), "");
    assert_string_equal(b.open(dir, 1 << 20, 2).c_str(), "");
    assert_true(a.put("a's record"));
    std::vector<usage_journal::record> none;
    settle(a, 0, none);
    std::vector<usage_journal::record> got;
    settle(b, 10, got, true);
    assert_int_equal(got.size(), 0);
    assert_int_equal(b.stats().adopted, 0);
    // The same pid twice (a second open of a locked file) is refused.
    usage_journal twin;
    assert_non_null(strstr(twin.open(dir, 1 << 20, 1).c_str(), "flock()"));
    a.close({});
    b.close({});
    remove_dir(dir);
}

// A crash mid-write leaves a torn frame: what is whole is sent, the rest skipped and said.
void torn_tail_skipped(void**) {
    std::string dir = temp_dir();
    std::string bytes = jf::header(jf::header_size);
    jf::append_frame(bytes, "whole-1");
    jf::append_frame(bytes, "whole-2");
    std::string torn;
    jf::append_frame(torn, "torn-3");
    bytes += torn.substr(0, torn.size() - 3);
    {
        std::ofstream f(dir + "/usage.77.journal", std::ios::binary);
        f << bytes;
    }
    // Not a journal: left alone.
    {
        std::ofstream f(dir + "/usage.78.journal", std::ios::binary);
        f << "something else entirely, longer than a header";
    }
    usage_journal j;
    assert_string_equal(j.open(dir, 1 << 20, 5).c_str(), "");
    std::vector<usage_journal::record> got;
    settle(j, 10, got, true);
    assert_int_equal(got.size(), 2);
    assert_true(got[0].payload == "whole-1");
    assert_true(got[1].payload == "whole-2");
    assert_int_equal(j.stats().lost_torn, torn.size() - 3);
    bool said = false;
    for (auto& m : j.take_messages()) {
        said = said || (m.error && m.text.find("torn") != std::string::npos);
    }
    assert_true(said);
    for (auto& r : got) j.done(r.where);
    std::vector<usage_journal::record> none;
    settle(j, 10, none);
    assert_false(exists(dir + "/usage.77.journal"));
    assert_true(exists(dir + "/usage.78.journal"));
    j.close({});
    remove_dir(dir);
}

// A file of this worker's own name from before (a dead process with the same pid) is read
// from where its header says.
void own_name_reused(void**) {
    std::string dir = temp_dir();
    std::string bytes = jf::header(jf::header_size);
    jf::append_frame(bytes, "delivered");
    std::uint64_t second = bytes.size();
    jf::append_frame(bytes, "left");
    bytes.replace(0, jf::header_size, jf::header(second));
    {
        std::ofstream f(dir + "/usage.9.journal", std::ios::binary);
        f << bytes;
    }
    usage_journal j;
    assert_string_equal(j.open(dir, 1 << 20, 9).c_str(), "");
    assert_true(j.holds());
    std::vector<usage_journal::record> got;
    settle(j, 10, got);
    assert_int_equal(got.size(), 1);
    assert_true(got[0].payload == "left");
    j.close({});
    remove_dir(dir);
}

// The directory given open (as NGINX's master opens it): every file is made in it, whatever
// the name given for messages, and the journal keeps its own descriptor.
void directory_given_open(void**) {
    std::string dir = temp_dir();
    int fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY);
    assert_true(fd >= 0);
    {
        usage_journal j;
        assert_string_equal(j.open("/nonexistent/for-messages", 1 << 20, 31, fd).c_str(), "");
        close(fd);  // the journal's copy stays open
        assert_string_equal(j.path().c_str(), "/nonexistent/for-messages/usage.31.journal");
        assert_true(j.put("through the descriptor"));
        std::vector<usage_journal::record> none;
        settle(j, 0, none);
        assert_true(exists(dir + "/usage.31.journal"));
        assert_string_equal(j.close({}).c_str(), "");
    }
    assert_true(exists(dir + "/usage.31.journal"));  // its record was not delivered: kept
    remove_dir(dir);
}

}  // namespace

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(frames_round_trip),
        cmocka_unit_test(frames_incomplete_and_torn),
        cmocka_unit_test(header_round_trip),
        cmocka_unit_test(spill_and_replay_in_order),
        cmocka_unit_test(bounded_by_size),
        cmocka_unit_test(exit_then_adopted),
        cmocka_unit_test(live_file_left_alone),
        cmocka_unit_test(torn_tail_skipped),
        cmocka_unit_test(own_name_reused),
        cmocka_unit_test(directory_given_open),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
