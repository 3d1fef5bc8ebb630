"""Recording uploads and storage (录像上传与存储): resumable tus-style upload router, store and retention."""
