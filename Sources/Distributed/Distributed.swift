// Distributed
