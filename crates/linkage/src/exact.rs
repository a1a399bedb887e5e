//! Vectors made at the size they come to. Collecting a filtered iterator grows its vector by
//! doubling: up to twice the room it needs, and three times as much while it is copied into
//! larger room. Where such a vector is one of the largest things held (a key for every
//! record), that growth was the peak memory of a run: counting first costs going over the
//! items twice, which is cheap next to the work done with them.

/// The items of `items`, in order, in a vector of exactly their number.
pub(crate) fn collect<T>(items: impl Iterator<Item = T> + Clone) -> Vec<T> {
    let mut out = Vec::with_capacity(items.clone().count());
    out.extend(items);
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_items_in_order_in_room_for_them_alone() {
        let v = super::collect((0..1000u32).filter(|x| x % 3 == 0));
        assert_eq!(v, (0..1000u32).filter(|x| x % 3 == 0).collect::<Vec<_>>());
        assert_eq!(v.capacity(), v.len());
        assert!(super::collect(std::iter::empty::<u8>()).is_empty());
    }
}
