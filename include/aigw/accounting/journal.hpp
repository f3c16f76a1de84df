// The usage-record journal: where a worker's records go when its queue is full (Redis slow or
// away), so that a gateway that bills never drops the evidence. One append-only file per
// worker process, `usage.<pid>.journal` in a directory of the operator's, bounded in size;
// every record is framed with its length and a CRC so a torn tail (a crash mid-write) is
// found and skipped, never sent.
//
// All file I/O (writes and their fdatasync, reads, truncation, finding a dead worker's file)
// runs on one thread of the journal's own, with every signal blocked, so the caller's event
// loop never waits for a disk. The caller drives it from its timers: put() a record, pump()
// to collect finished I/O and start the next, done() when Redis took a record it got from
// pump(). Delivery is in order and at least once: a file's start offset of what is delivered
// is written to its header, and what is not yet delivered when the process dies is in a file
// that another worker of the node adopts (its lock is free) and sends again.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace aigw {

namespace journal_format {

// The file: a 32-byte header ("AIGWJNL1", the little-endian offset of the first frame not yet
// delivered, 16 bytes reserved), then frames: the payload's length (u32 LE), the CRC-32 of
// the payload (u32 LE), the payload.
inline constexpr std::size_t header_size = 32;
inline constexpr std::size_t frame_overhead = 8;
inline constexpr std::uint32_t max_payload = 16u << 20;

std::uint32_t crc32(std::string_view data) noexcept;
void append_frame(std::string& out, std::string_view payload);
std::string header(std::uint64_t committed);
// The committed offset a header holds; false when it is not a journal's header.
bool read_header(std::string_view data, std::uint64_t& committed) noexcept;

struct frame {
    std::size_t offset;  // of the frame in the scanned bytes
    std::size_t size;    // the frame's, overhead included
    std::string_view payload;
};
struct scan_result {
    std::size_t consumed = 0;  // the whole frames' bytes
    std::size_t need = 0;      // an incomplete frame at the end: the bytes it needs in all
    bool torn = false;         // a frame that can never be whole (length or CRC wrong)
};
// The whole frames at the start of data.
scan_result scan(std::string_view data, std::vector<frame>& out);

}  // namespace journal_format

class usage_journal {
public:
    // Where a record handed out by pump() lies: its file and its frame's offsets there.
    struct ticket {
        std::uint64_t segment = 0;  // 0: none (a record that never was in a journal)
        std::uint64_t start = 0;
        std::uint64_t end = 0;
    };
    struct record {
        std::string payload;
        ticket where;
    };
    struct counters {
        std::uint64_t spilled = 0;       // records written to this worker's file
        std::uint64_t replayed = 0;      // records handed back by pump()
        std::uint64_t lost_full = 0;     // refused by put(): the file at its size bound
        std::uint64_t lost_io = 0;       // a write the disk refused
        std::uint64_t lost_torn = 0;     // bytes of a torn tail, skipped
        std::uint64_t adopted = 0;       // files of dead workers taken over
    };

    usage_journal();
    ~usage_journal();  // stops the thread; writes nothing (close() does)
    usage_journal(const usage_journal&) = delete;
    usage_journal& operator=(const usage_journal&) = delete;

    // Creates and locks dir/usage.<pid>.journal and starts the thread: "" or what failed.
    // `dir_fd`: the directory already open (NGINX's master opens it, so a worker whose user
    // may not pass through the directories above it still reaches it); -1: made and opened
    // here. The journal keeps its own copy of the descriptor.
    std::string open(const std::string& dir, std::uint64_t max_bytes, long pid, int dir_fd = -1);

    // Whether this worker's file holds records not yet handed out: a new record must then
    // go behind them, into the file, to keep the order.
    bool holds() const noexcept;
    // Appends a record (written and synced soon, on the thread); false when the file is at
    // its bound, which loses the record (counted).
    bool put(std::string_view payload);
    // Takes the finished I/O in, starts what is due, and appends to out up to `room` records
    // to send, oldest first: this worker's file first, then an adopted one. `adopt`: look for
    // a dead worker's file if none is being replayed (call it now and then, not on every pump).
    void pump(std::size_t room, std::vector<record>& out, bool adopt = false);
    // I/O in flight or records waiting to be written: keep calling pump() soon.
    bool busy() const noexcept;
    // A record from pump() is delivered, or given up: its frame may go.
    void done(const ticket& t);

    // At exit: stops the thread, then writes what is not yet written and `tail` (records
    // still in memory that never were in a journal) to this worker's file, syncs it, and
    // records in each header what was delivered. Blocking; "" or what failed.
    std::string close(const std::vector<std::string_view>& tail);

    const counters& stats() const noexcept { return counters_; }
    // What happened on the thread since the last call, to be logged: an adopted file
    // (`error` false), or what went wrong (path and reason).
    struct message {
        bool error;
        std::string text;
    };
    std::vector<message> take_messages();
    const std::string& path() const noexcept;

    struct impl;

private:
    std::unique_ptr<impl> impl_;
    counters counters_;
};

}  // namespace aigw
