"""covering"""
