#pragma once
// RunBlocking: await a blocking call (a DB transaction) from a coroutine without blocking the
// I/O thread. The call runs on `pool` (a boost::asio::thread_pool kept for blocking work);
// the coroutine resumes on its own executor with the result, or the exception.
//
//   auto inst = co_await db::RunBlocking(blocking_pool, [&] { return store.GetByUuid(id); });
#include <utility>  // before Asio: Boost 1.74's awaitable.hpp needs std::exchange

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <type_traits>

namespace nova::db {

template <class F>
boost::asio::awaitable<std::invoke_result_t<F&>> RunBlocking(boost::asio::thread_pool& pool,
                                                             F fn) {
    using R = std::invoke_result_t<F&>;
    co_return co_await boost::asio::co_spawn(
        pool.get_executor(),
        [fn = std::move(fn)]() mutable -> boost::asio::awaitable<R> { co_return fn(); },
        boost::asio::use_awaitable);
}

}  // namespace nova::db
